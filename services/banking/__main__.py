from services.banking.app import SERVICE

SERVICE.run_forever()
