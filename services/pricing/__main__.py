from accord.service import run_service_forever
from services.pricing.app import NAME, Settings, build

run_service_forever(NAME, Settings(), build)
