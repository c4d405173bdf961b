from .metrics import BACKOFFS, counted
from .sender import send_batch, send_batch_async
