"""The gateway as a web application: the session (`session.py`), CSRF (`csrf.py`), who may open a page
(`guards.py`), rendering (`render.py`), form parsing (`forms.py`) and the error pages (`errors.py`)."""
