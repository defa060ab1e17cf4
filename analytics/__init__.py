"""Seller-side anomaly analytics: loading, detection, scoring and SQL, usable without Streamlit."""

__version__ = "0.1.0"
