# moto's server, standing in for CloudWatch Logs in docker-compose.yml.
# Keep the version requirement in step with scripts/venv.sh.
FROM python:3.11-slim
RUN pip install --no-cache-dir 'moto[server]>=5.2.2' \
    && useradd --system --uid 10001 --user-group --no-create-home moto
USER 10001:10001
EXPOSE 5000
CMD ["moto_server", "-H", "0.0.0.0", "-p", "5000"]
