"""Planning analysis: conflict screening, conformity sheets, the site finder."""
