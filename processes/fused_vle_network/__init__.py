"""A whole VLE network as one leaf process (the fused model of VLENetwork)."""
