from .notifier import Notifier, open_notifier
from .waits import RecordingWait
