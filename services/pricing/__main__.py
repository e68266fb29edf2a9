from services.pricing.app import SERVICE

SERVICE.run_forever()
