from accord.tooling.cli import main

main()
