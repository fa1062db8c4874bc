"""pytest plumbing for the local control plane (tests/cluster/up).

The session fixture `cluster` starts (or reuses) the cluster; if the build or start fails, every test
that uses it ERRORS with the reason - it is never skipped. Tests that use it get the `cluster` marker,
so `pytest -m "not cluster"` leaves them out.
"""
import pytest

from cluster_harness import Cluster, ClusterError, start_cluster


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    try:
        return start_cluster()
    except ClusterError as e:
        reason = str(e)
    pytest.fail(reason, pytrace=False)


@pytest.fixture
def namespace(cluster: Cluster):
    """A fresh namespace for one test, deleted afterwards."""
    with cluster.namespace() as ns:
        yield ns


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)
