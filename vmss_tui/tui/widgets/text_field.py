"""A text field that keeps a burst of keys in order (SSH, a paste, a fast typist).

Textual's `Input` inserts printable characters in its own `_on_key`, but its editing keys
(backspace, enter, arrows) are bindings that run only after the key bubbled up to the App.
While the App forwards the next keys of the burst straight to the field, so in `12`, Backspace,
`5`, Enter the `5` lands before the backspace and Enter submits `12` (Textualize/textual#6605;
the fix proposed upstream, PR #6631, runs the widget's own bindings inline as done here).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class TextField(Input):
    """An `Input` whose own key bindings run inline, in order with the characters typed."""

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if binding.priority:
                    continue  # the App ran priority bindings before the key got here
                if await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()
                    return
        await super()._on_key(event)
