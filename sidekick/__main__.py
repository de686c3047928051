from sidekick.cli import main

raise SystemExit(main())
