from services.support.app import SERVICE

SERVICE.run_forever()
