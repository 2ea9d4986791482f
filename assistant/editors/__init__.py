"""The content editors: who they are (accounts and roles); their drafts and publishing build on this."""
