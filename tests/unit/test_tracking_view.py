"""What the tracking page shows of a parcel (boomerang/web/tracking_view.py) and the page rendered
in every language: the step on the way, a problem in words, the lane's estimate only where the lane
has one, checkpoints newest first, the order's lines; and no English left in another language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boomerang.carriers.news import TrackingStatus as T
from boomerang.domain.branding import Branding
from boomerang.domain.shipments import Checkpoint, Estimate, ExceptionKind, Parcel, ParcelLine
from boomerang.services.shipments.progress import Tracked
from boomerang.web.i18n import LANGUAGES, translations
from boomerang.web.render import PageContext, render
from boomerang.web.tracking_view import STEPS, tracking_view
from tests.unit.factories import line, order

AT = datetime(2026, 3, 2, tzinfo=UTC)


def parcel(**changes: object) -> Parcel:
    base = Parcel(
        shop="demo", parcel_id="pcl_1", order_id="ord-1", tracking_number="YT2433512345678901",
        carrier="YunExpress", lines=[ParcelLine(line_id="L1", quantity=1)], origin_country="CN",
        destination_country="US", shipped_at=AT, created_at=AT, updated_at=AT,
    )  # fmt: skip
    return base.model_copy(update=changes)


def scan(hours: float, status: T, message: str, carrier: str = "YunExpress") -> Checkpoint:
    return Checkpoint(at=AT + timedelta(hours=hours), status=status, message=message, carrier=carrier)


LANE = Estimate(expected_at=AT + timedelta(days=9), latest_at=AT + timedelta(days=13), basis="lane")


def test_a_parcel_on_its_way_with_the_lanes_estimate() -> None:
    scans = [scan(1, T.PRE_TRANSIT, "Shipment information received"), scan(20, T.IN_TRANSIT, "Departed")]
    moving = parcel(status=T.IN_TRANSIT, progress=T.IN_TRANSIT, checkpoints=scans)
    view = tracking_view(order(line("L1")), [Tracked(moving, LANE, None)], "es")
    (shown,) = view.parcels
    assert STEPS[shown.step] == "in_transit" and shown.status_text == "En camino" and shown.problem is None
    assert (shown.expected_at, shown.latest_at) == (LANE.expected_at, LANE.latest_at)
    assert [c.message for c in shown.checkpoints] == ["Departed", "Shipment information received"]
    assert shown.items == [("Item L1", 1)] and view.live and not view.delivered


def test_an_exception_keeps_the_furthest_step_and_says_what_is_wrong() -> None:
    held = parcel(status=T.EXCEPTION, progress=T.OUT_FOR_DELIVERY, exception=ExceptionKind.CUSTOMS_HOLD)
    view = tracking_view(order(line("L1")), [Tracked(held, LANE, None)], "de")
    (shown,) = view.parcels
    assert STEPS[shown.step] == "out_for_delivery"
    assert shown.problem is not None and "Zoll" in shown.problem
    # An exception with no kind still says there is a problem.
    odd = parcel(status=T.FAILURE, progress=T.IN_TRANSIT)
    assert tracking_view(order(line("L1")), [Tracked(odd, LANE, None)], "en").parcels[0].problem


def test_delivered_shows_the_day_not_an_estimate_and_allows_a_return() -> None:
    done = parcel(status=T.DELIVERED, progress=T.DELIVERED, delivered_at=AT + timedelta(days=8))
    est = Estimate(expected_at=done.delivered_at, latest_at=done.delivered_at, basis="delivered")
    view = tracking_view(order(line("L1")), [Tracked(done, est, None)], "en")
    assert view.delivered and not view.live
    assert view.parcels[0].expected_at is None and view.parcels[0].delivered_at == done.delivered_at


def _page(language: str) -> PageContext:
    return PageContext(
        shop="demo", branding=Branding(name="Demo"), language=language, base_path="",
        assets_base_url="https://cdn.example", assets_version="v1", path="/demo/track",
    )  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_renders_in_every_language(language: str) -> None:
    two = [
        Tracked(parcel(status=T.IN_TRANSIT, progress=T.IN_TRANSIT), LANE, None),
        Tracked(parcel(parcel_id="pcl_2", status=T.PRE_TRANSIT), Estimate(expected_at=None, latest_at=None,
                basis="unknown"), None),
    ]  # fmt: skip
    view = tracking_view(order(line("L1")), two, language)
    html = render(
        "track.html", _page(language), view=view, errors={}, values={}, self_url="/x", returns_url="/y"
    )
    assert f'<html lang="{language}">' in html and html.count('class="parcel"') == 2
    words = translations(language)
    for english in ("Tracking history", "We cannot estimate a delivery date yet.", "In this parcel"):
        assert words.gettext(english) in html
        if language != "en":
            assert english not in html
    form = render("track.html", _page(language), view=None, errors={"form": "link"}, values={})
    assert '<label for="order_number">' in form and 'role="alert"' in form


def test_an_email_speaks_one_language_and_the_page_every_one() -> None:
    from boomerang.domain.shipment_texts import texts
    from boomerang.notify.templates import LANGUAGES as EMAIL_LANGUAGES
    from boomerang.services.shipments.service import _language

    # Every language of the pages has the status words; every email language has them too.
    assert set(LANGUAGES) <= set(texts()) and set(EMAIL_LANGUAGES) <= set(texts())
    japanese = order(line("L1")).model_copy(update={"locale": "ja-JP"})
    # No Japanese email template yet: the status words inside the English email are English too.
    assert _language(japanese) == "en"
    assert tracking_view(japanese, [Tracked(parcel(), LANE, None)], "ja").parcels[0].status_text == (
        "送り状作成済み、集荷待ち"
    )
