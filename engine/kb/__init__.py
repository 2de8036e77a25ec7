"""The knowledge base: rule files read safely, checked and compiled, facts checked, cases evaluated and explained."""
