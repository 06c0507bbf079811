"""Pure helpers of the sending side: the per-channel token bucket and mobile normalisation."""

from __future__ import annotations

from peyvand_campaign.service_layer.opt_outs import normalise_mobile
from peyvand_campaign.service_layer.sending import TokenBucket


def test_token_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    t = [0.0]
    bucket = TokenBucket(rate=10, burst=2, clock=lambda: t[0])
    assert [bucket.take() for _ in range(2)] == [0.0, 0.0]
    assert round(bucket.take(), 3) == 0.1  # the third waits one token's time
    t[0] += 1.0
    assert bucket.take() == 0.0


def test_mobile_numbers_normalise_to_one_form() -> None:
    for raw in ("09121234567", "+989121234567", "989121234567", "00989121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷"):
        assert normalise_mobile(raw) == "+989121234567"
    assert normalise_mobile("02188776655") is None
