"""nautiform: one validated project.yaml, compiled to reviewed Kubernetes manifests for a shared GPU cluster."""

# The one place the version is written: pyproject.toml reads it, generated/ records it, and the
# pipeline `init` writes installs exactly it (see README, "Upgrading nautiform").
__version__ = "0.2.0"
