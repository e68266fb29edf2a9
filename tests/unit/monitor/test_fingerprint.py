"""The fingerprint rule: what makes two reports the same error."""

from services.monitor.fingerprint import LENGTH, fingerprint, normalise


def test_digits_hex_ids_and_uuids_are_taken_out_words_stay() -> None:
    message = "Card 4242 declined for order 0190ab12-3c4d-4e5f-8a9b-0c1d2e3f4a5b (ref deadbe3f01)"
    assert normalise(message) == "card <n> declined for order <uuid> (ref <hex>)"
    assert normalise("  Faded   accede\tcafe ") == "faded accede cafe"


def test_occurrences_that_differ_only_in_numbers_and_ids_share_a_fingerprint() -> None:
    first = fingerprint("checkout-web", "PAYMENT_DECLINED", "Card 4242 declined, order 17")
    second = fingerprint("checkout-web", "PAYMENT_DECLINED", "card 1881 declined,  order 9051")
    assert first == second
    assert len(first) == LENGTH
    assert int(first, 16) >= 0


def test_another_application_code_or_wording_is_another_fingerprint() -> None:
    base = fingerprint("checkout-web", "E_TIMEOUT", "upstream timed out after 30s")
    assert fingerprint("checkout-ios", "E_TIMEOUT", "upstream timed out after 30s") != base
    assert fingerprint("checkout-web", "E_CONNECT", "upstream timed out after 30s") != base
    assert fingerprint("checkout-web", "E_TIMEOUT", "database timed out after 30s") != base


def test_fields_cannot_run_into_each_other() -> None:
    assert fingerprint("ab", "C", "x") != fingerprint("a", "BC", "x")


def test_the_rule_is_pinned() -> None:
    # A change here re-groups every customer's open tickets: change it deliberately.
    assert fingerprint("checkout-web", "PAYMENT_DECLINED", "Card 4242 declined") == (
        "f47bdb804cc6cbf7"
    )
