"""The customer's pages, rendered on the server: the returns portal (/{shop}/returns) and the
returns policy page (/{shop}/policy). Jinja2 templates, gettext catalogs through Babel, htmx where it
helps; every core path works without JavaScript. Pages call the library's services directly."""
