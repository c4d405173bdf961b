from .client import InventoryClient, TransientError
from .warehouse import Warehouse
