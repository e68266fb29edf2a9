from accord.service import run_service_forever
from services.support.app import NAME, Settings, build

run_service_forever(NAME, Settings(), build)
