"""Every petition event type has its Chinese name for the console's 流转记录."""

from domain.event_labels import EVENT_LABELS
from domain.events import PETITION_EVENT_TYPES


def test_every_event_type_has_a_chinese_label_and_no_label_is_stale():
    assert set(PETITION_EVENT_TYPES) <= set(EVENT_LABELS), set(PETITION_EVENT_TYPES) - set(EVENT_LABELS)
    assert all(label and not label.isascii() for label in EVENT_LABELS.values())
