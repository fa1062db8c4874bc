"""Runtime files nautiform ships into the cluster (ConfigMaps), see nautiform_data.py."""
from pathlib import Path

DATA_SCRIPT = Path(__file__).with_name("nautiform_data.py")
