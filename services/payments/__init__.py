"""The payments service: authorizes, declines and refunds the payment of each order."""
