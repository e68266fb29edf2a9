from services.notifications.app import SERVICE

SERVICE.run_forever()
