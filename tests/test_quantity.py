from fractions import Fraction

import pytest

from nautiform import quantity


@pytest.mark.parametrize("text,value", [("500m", Fraction(1, 2)), ("4", 4), ("16Gi", 16 * 2**30), ("1e3", 1000),
                                        ("1.5G", 1_500_000_000), (2, 2), (0.25, Fraction(1, 4)), ("100Ki", 102400),
                                        # E and Ei are units (exa, exbi), not exponents: both crashed the
                                        # parser once pydantic no longer turned the ValueError into a message
                                        ("32Ei", 32 * 2**60), ("2E", 2 * 10**18), ("2E3", 2000), ("5e-1", Fraction(1, 2))])
def test_parses_like_kubernetes(text, value):
    assert quantity.parse(text) == value


@pytest.mark.parametrize("text,hint", [("16GB", "write 16Gi"), ("16gb", "write 16Gi"), ("2 Gi", "remove the space"),
                                       ("8g", "write 8Gi"), ("lots", "optional suffix")])
def test_mistakes_get_hints(text, hint):
    with pytest.raises(quantity.QuantityError) as err:
        quantity.parse(text)
    assert hint in err.value.hint


def test_render_numbers():
    assert quantity.render(4) == "4" and quantity.render(0.5) == "500m" and quantity.render("16Gi") == "16Gi"
    with pytest.raises(quantity.QuantityError):
        quantity.render(0.0001)


@pytest.mark.parametrize("text", ["16GB", "-", "1e31", "1" * 70, "Gi", "1.5.5", "", " 1Gi", "1gi", "0x10"])
def test_not_quantities(text):
    with pytest.raises(quantity.QuantityError):
        quantity.parse(text)


def test_exponent_and_milli_forms():
    assert quantity.parse("1e3") == quantity.parse("1k") == 1000
    assert quantity.parse("1.5") == quantity.parse("1500m") == Fraction(3, 2)
    assert quantity.parse("-1Gi") == -(2**30)  # the sign parses; fields refuse it (test_resource_sanity)
