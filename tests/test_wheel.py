"""The package as a user installs it: a wheel built from this checkout, installed into a clean venv
outside the checkout, compiles the example exactly as the editable install does (issue 16, item 1)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from nf_testlib import ROOT


def test_wheel_installs_package_nautiform_and_compiles_the_example(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next(dist.glob("nautiform-*.whl"))
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert "nautiform" in tops and "compiler" not in tops, tops
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("nautiform/profiles/nautilus.json", "nautiform/runtime/nautiform_data.py",
                 "nautiform/templates/gitlab-ci.yml"):
        assert data in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    subprocess.run([str(pip), "install", "--quiet", str(wheel)], check=True, capture_output=True, cwd=tmp_path)

    # A user's repository with its own `compiler/` folder must not shadow the installed package.
    work = tmp_path / "userrepo"
    (work / "compiler").mkdir(parents=True)
    (work / "compiler" / "__init__.py").write_text("raise SystemExit('the wrong package was imported')\n")
    shutil.copy(ROOT / "project.example.yaml", work / "project.example.yaml")
    shutil.copytree(ROOT / "example", work / "example")
    for argv in ([str(env_dir / "bin" / "nautiform")], [str(env_dir / "bin" / "python"), "-m", "nautiform"]):
        proc = subprocess.run([*argv, "compile", "project.example.yaml", "--out", "out"], cwd=work, capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
        for f in (ROOT / "generated").iterdir():
            assert (work / "out" / f.name).read_bytes() == f.read_bytes(), f.name
        shutil.rmtree(work / "out")
