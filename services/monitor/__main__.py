from services.monitor.app import SERVICE

SERVICE.run_forever()
