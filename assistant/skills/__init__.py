"""Local skills: one module per intent family, registered by intent name."""
