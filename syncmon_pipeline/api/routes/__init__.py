"""Route modules, one concern each; `syncmon_pipeline.api.app.ROUTE_MODULES` lists them."""
