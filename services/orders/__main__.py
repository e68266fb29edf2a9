from services.orders.app import SERVICE

SERVICE.run_forever()
