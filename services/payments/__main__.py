"""The payments service: authorizes, declines and refunds the payment of each order."""

from accord.service import run_service_forever
from services.payments.app import NAME, Settings, build

run_service_forever(NAME, Settings(), build)
