"""Configuration: settings from the environment, the shipped reference data (policies, the working-day
calendar, the demo org, scoring weights) and how to load them. Below everything that reads them; imports
only `domain` and libraries."""
