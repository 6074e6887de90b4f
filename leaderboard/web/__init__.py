"""The web layer: views (one module per part of the site), middleware, the content security
policy and the sign-in adapter."""
