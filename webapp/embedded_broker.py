"""The embedded runtime's broker: kombu's filesystem transport, with each message written whole before a worker can
see it.

kombu's own `_put` creates the message file and then writes it; a worker listing the folder in between moves the
empty file away and fails to decode it, and the worker process stops ("Unrecoverable error: JSONDecodeError"). Here a
message is written under a name no reader takes (`….msg.partial`) and renamed into place, which is atomic on one
file system: a reader sees no file, or the whole message.
"""

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Put `payload` onto `queue`: written beside, then renamed into the queue folder."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".partial"
        try:
            with open(partial, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))  # type: ignore[no-untyped-call]
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
