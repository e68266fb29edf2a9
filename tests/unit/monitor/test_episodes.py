"""The window rule: which ticket an error is counted on."""

from datetime import UTC, datetime, timedelta

from services.monitor.episodes import joins, next_episode, ticket_key

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_the_first_error_starts_episode_one_at_its_own_time() -> None:
    episode = next_episode(None, "alice", "f" * 16, T0, DAY)
    assert (episode.number, episode.window_start, episode.window_end) == (1, T0, T0 + DAY)
    assert episode.ticket_key == ticket_key("alice", "f" * 16, 1) == f"alice.{'f' * 16}.1"


def test_errors_before_the_window_end_join_it_even_late_ones() -> None:
    episode = next_episode(None, "alice", "fp", T0, DAY)
    assert joins(episode, T0)
    assert joins(episode, T0 + DAY - timedelta(milliseconds=1))
    assert joins(episode, T0 - timedelta(hours=1))  # occurred earlier, reported late


def test_an_error_at_or_after_the_window_end_starts_the_next_episode() -> None:
    first = next_episode(None, "alice", "fp", T0, DAY)
    assert not joins(first, T0 + DAY)
    second = next_episode(first, "alice", "fp", T0 + DAY + timedelta(hours=3), DAY)
    assert second.number == 2
    assert second.window_start == T0 + DAY + timedelta(hours=3)
    assert second.ticket_key != first.ticket_key


def test_episodes_starting_in_the_same_instant_still_differ() -> None:
    first = next_episode(None, "alice", "fp", T0, DAY)
    after_resolution = next_episode(first, "alice", "fp", T0, DAY)
    assert after_resolution.ticket_key != first.ticket_key
