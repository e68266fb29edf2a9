from services.marketing.app import SERVICE

SERVICE.run_forever()
