# syntax=docker/dockerfile:1
# Build: docker build -t ticketbot .
# Run:   docker run -p 8080:8080 ticketbot demo      (embedded Redis, fake chats)
#        docker run -p 8080:8080 -e REDIS_URL=redis://<your-redis>:6379 ticketbot

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ticketbot ./cmd/ticketbot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ticketbot /usr/local/bin/ticketbot
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ticketbot"]
