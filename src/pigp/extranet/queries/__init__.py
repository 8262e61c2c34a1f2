"""What the Extranet reads from Hélios' models: the only place it queries them."""
