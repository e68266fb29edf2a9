"""Records stored by earlier versions of the pricing service still load."""

from services.pricing.records import DemandRecord

OLD_DEMAND = (
    '{"recent": [{"booking_id": "bk-1", "seats": 2, "booked_at": "2026-12-01T09:00:00Z"}],'
    ' "applied": ["bk-0", "bk-1"]}'
)


def test_a_demand_record_with_its_old_applied_list_loads_and_drops_it_when_written() -> None:
    demand = DemandRecord.model_validate_json(OLD_DEMAND)

    assert [(b.booking_id, b.seats) for b in demand.recent] == [("bk-1", 2)]
    assert "applied" not in demand.model_dump()
