"""The payments service: authorizes, declines and refunds the payment of each order."""

from services.payments.app import SERVICE

SERVICE.run_forever()
