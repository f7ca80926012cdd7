"""booking's route for a family's page in Gestion: the family's bookings of a month in the caller's
structures' activities (thin: parse, call services/booking/service/family_month.py, answer)."""

from __future__ import annotations

from aiohttp import web

from kit import fr
from kit.http import identity_of, json_response, path_uuid
from services.booking.http.parents import db
from services.booking.service import family_month as service


async def family_month(request: web.Request) -> web.Response:
    family_id = path_uuid(request, "family_id", "Famille")
    found = await service.family_month(db(request), identity_of(request), family_id,
                                       request.query.get("month", "")[:10])
    return json_response({"bookings": [
        {"id": str(b.id), "date": b.day.isoformat(), "date_label": fr.long_date(b.day), "status": b.status,
         "state_label": label, "transmitted": b.transmitted, "child": f"{b.last_name} {b.first_name}",
         "activity": b.activity, "structure_id": str(b.structure_id),
         "arrival": b.arrival.strftime("%H:%M"), "departure": b.departure.strftime("%H:%M")}
        for b, label in found]})
