"""Lava processes of lava-vle, installed as the subpackage ``lava_vle.processes``."""
