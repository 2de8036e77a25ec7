"""What people read: text output, case reports and the rulebook, through jinja2 templates."""
