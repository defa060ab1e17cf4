"""The Streamlit dashboard: thin pages over `analytics`."""
