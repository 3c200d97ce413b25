# shop-sync: `make run` starts the demo, `make test` runs every test; see README.md.
.PHONY: setup run simulators test bench stop clean

setup:          ## install Python packages and Odoo, start PostgreSQL
	scripts/setup.sh
	scripts/pg.sh start

run:            ## demo: Odoo at http://localhost:8069 with the addons and backends on the simulators
	scripts/run.sh

simulators:     ## only the four simulators, with demo data
	scripts/setup.sh
	.venv/bin/python -m simulators

test:           ## set up and run all tests (simulators, services, Odoo addons)
	scripts/test.sh

bench:          ## benchmarks against the simulators (numbers and ratios)
	scripts/bench.sh

stop:           ## stop the private PostgreSQL cluster
	scripts/pg.sh stop

clean: stop     ## remove the virtualenv, the cluster and all local state
	rm -rf .venv .state .cache
