from services.devices.app import SERVICE

SERVICE.run_forever()
