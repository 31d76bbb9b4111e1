"""``/api/vocabularies``: the lists the page shows (project statuses with labels and colours)."""

from fastapi import APIRouter

from api.responses import OrjsonResponse
from geo.plan.vocabulary import vocabularies as all_vocabularies

router = APIRouter(prefix="/api", tags=["vocabularies"])


@router.get(
    "/vocabularies",
    summary="Project statuses (labels, colours) and the monitoring lists (target statuses, parts, …)",
)
async def vocabularies() -> OrjsonResponse:
    """One home per vocabulary: the database CHECK, one Python enum, and this list the page reads."""
    return OrjsonResponse(all_vocabularies(), headers={"Cache-Control": "public, max-age=300"})
