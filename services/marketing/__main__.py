from accord.service import run_service_forever
from services.marketing.app import NAME, Settings, build

run_service_forever(NAME, Settings(), build)
