"""Forms (Flask-WTF) and JSON bodies (pydantic), one module per blueprint."""
