"""The monitoring page: a static shell; its JS reads every list and vocabulary from the API."""

import json

from markupsafe import Markup

from maps.styles import BASE_STYLES
from maps.templating import TEMPLATES


def build_monitoring_page() -> str:
    """The page's HTML with its config (base-map styles only; vocabularies come from the API)."""
    config = {"baseStyles": BASE_STYLES}
    return TEMPLATES.get_template("monitoring.html").render(
        # inside <script type="application/json"> the text is read raw: "<" is escaped the JSON way
        config=Markup(json.dumps(config, ensure_ascii=False).replace("<", "\\u003c"))
    )
